// Rendering: identifiers quoted, every value a bind parameter with an explicit cast; nothing the
// client wrote reaches the SQL text.
import { quoteIdent } from '../../db/quote-ident.ts';
import type { ColumnType, Node, Operand } from './ast.ts';

type RenderState = { values: string[]; offset: number; collate: boolean };

const SQL_TYPE: Record<ColumnType, string> = {
  uuid: 'uuid',
  text: 'text',
  int2: 'numeric',
  int4: 'numeric',
  int8: 'numeric',
  numeric: 'numeric',
  bool: 'boolean',
  timestamptz: 'timestamptz',
  date: 'date',
  jsonb: 'jsonb',
};

function renderOperand(operand: Operand, state: RenderState, collate = false): string {
  if (operand.kind === 'column') {
    return collate && state.collate ? `${quoteIdent(operand.name)} COLLATE "C"` : quoteIdent(operand.name);
  }
  let type = SQL_TYPE[operand.type];
  if (operand.value === null) return `NULL::${type}`;
  state.values.push(operand.value);
  const placeholder = `$${state.offset + state.values.length}`;
  // Integers compared with integer columns stay bigint, so PostgreSQL can use their indexes.
  if (
    type === 'numeric' &&
    operand.type !== 'numeric' &&
    operand.value !== null &&
    /^-?\d{1,18}$/.test(operand.value)
  ) {
    type = 'int8';
  }
  return `${placeholder}::${type}`;
}

export function render(node: Node, state: RenderState): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.args.map((arg) => render(arg, state)).join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT ${render(node.arg, state)})`;
    case 'cmp': {
      const collate = node.type === 'text' && node.op !== '=' && node.op !== '<>';
      return `(${renderOperand(node.left, state, collate)} ${node.op} ${renderOperand(node.right, state, collate)})`;
    }
    case 'in': {
      const list = node.list.map((item) => renderOperand(item, state)).join(', ');
      return `(${renderOperand(node.operand, state)} ${node.negated ? 'NOT IN' : 'IN'} (${list}))`;
    }
    case 'isnull':
      return `(${renderOperand(node.operand, state)} IS ${node.negated ? 'NOT NULL' : 'NULL'})`;
    case 'like': {
      const op = `${node.negated ? 'NOT ' : ''}${node.caseInsensitive ? 'ILIKE' : 'LIKE'}`;
      return `(${renderOperand(node.operand, state, true)} ${op} ${renderOperand(node.pattern, state)})`;
    }
    case 'bool':
      return `(${renderOperand(node.operand, state)})`;
  }
}
