// Evaluation: PostgreSQL's semantics for the rendered SQL on a row of text-format values,
// three-valued (null = unknown), so the sync engine can route a change without a query.
import type { Node, Operand, Row } from './ast.ts';
import { compareValues } from './compare.ts';
import { asciiLower, likeMatch } from './like.ts';

type Truth = boolean | null;

function operandValue(operand: Operand, row: Row): string | null {
  if (operand.kind === 'value') return operand.value;
  const value = row[operand.name];
  return value === undefined ? null : value;
}

export function evaluate(node: Node, row: Row): Truth {
  switch (node.kind) {
    case 'and': {
      let result: Truth = true;
      for (const arg of node.args) {
        const value = evaluate(arg, row);
        if (value === false) return false;
        if (value === null) result = null;
      }
      return result;
    }
    case 'or': {
      let result: Truth = false;
      for (const arg of node.args) {
        const value = evaluate(arg, row);
        if (value === true) return true;
        if (value === null) result = null;
      }
      return result;
    }
    case 'not': {
      const value = evaluate(node.arg, row);
      return value === null ? null : !value;
    }
    case 'cmp': {
      const left = operandValue(node.left, row);
      const right = operandValue(node.right, row);
      if (left === null || right === null) return null;
      const order = compareValues(node.type, left, right);
      if (order === undefined) return null;
      switch (node.op) {
        case '=':
          return order === 0;
        case '<>':
          return order !== 0;
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        case '>=':
          return order >= 0;
      }
      return null;
    }
    case 'in': {
      const value = operandValue(node.operand, row);
      if (value === null) return null;
      let result: Truth = false;
      for (const item of node.list) {
        const candidate = operandValue(item, row);
        if (candidate === null) {
          result = null;
          continue;
        }
        const order = compareValues(node.type, value, candidate);
        if (order === undefined) result = null;
        else if (order === 0) {
          result = true;
          break;
        }
      }
      return node.negated && result !== null ? !result : result;
    }
    case 'isnull': {
      const isNull = operandValue(node.operand, row) === null;
      return node.negated ? !isNull : isNull;
    }
    case 'like': {
      const value = operandValue(node.operand, row);
      const pattern = operandValue(node.pattern, row);
      if (value === null || pattern === null) return null;
      const matched = node.caseInsensitive
        ? likeMatch(asciiLower(value), asciiLower(pattern))
        : likeMatch(value, pattern);
      return node.negated ? !matched : matched;
    }
    case 'bool': {
      const value = operandValue(node.operand, row);
      return value === null ? null : value === 't' || value === 'true';
    }
  }
}
