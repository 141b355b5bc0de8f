// `npm run admin -- <command>`: the operator's tool for a deployment (closed ones especially,
// with ALLOW_REGISTRATION=false). Uses the same configuration as the server (DATABASE_URL, or
// the embedded database in DATA_DIR) and its owner connection. Exit code 0 on success, 1 with
// one line on stderr otherwise, 2 for a usage error.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { AdminError, createOrganization, endSessions, listOrganizations, resetPassword } from './commands.ts';

const HELP = `Usage: npm run admin -- <command> [options]

Commands:
  create-org --name <name> --owner <email> [--password <password>]
      Create an organisation and its owner. Without --password, prints a one-time link
      (valid PASSWORD_RESET_TTL) with which the owner sets a password.
  reset-password --email <email> [--password <password>]
      With --password: set it and end every session of the user. Without: print a one-time
      link; the user's sessions end when it is used.
  end-sessions --email <email>
      Sign the user out everywhere (their tokens are refused at once by running servers).
  list-orgs
      Every organisation: id, slug, members, owners.

Options:
  --json    print the result as JSON
  --help    this text

Reads the server's settings: DATABASE_URL (or the embedded database in DATA_DIR),
PUBLIC_ORIGIN (for links; default http://localhost:PORT).`;

class UsageError extends Error {}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`);
  return value;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      owner: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [command] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  if (!['create-org', 'reset-password', 'end-sessions', 'list-orgs'].includes(command)) {
    throw new UsageError(`unknown command: ${command}`);
  }
  const config = loadConfig();
  const linkBase = config.publicOrigin ?? `http://localhost:${config.port}`;
  const linkOf = (token: string) => `${linkBase}/invitation?token=${token}`;
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    appDatabaseUrl: config.appDatabaseUrl,
    preparedStatements: config.preparedStatements,
    dataDir: config.dataDir,
    requireLogicalWal: false,
  });
  const print = (json: unknown, text: string) => console.log(values.json ? JSON.stringify(json) : text);
  try {
    if (command === 'create-org') {
      const created = await createOrganization(db, {
        name: required(values.name, '--name'),
        ownerEmail: required(values.owner, '--owner'),
        password: values.password,
        linkTtlSeconds: config.passwordResetTtl,
      });
      const link = created.link && linkOf(created.link.token);
      print(
        { organization: created.organization, owner_id: created.userId, link },
        `created ${created.organization.name} (${created.organization.id}), owner ${values.owner}` +
          (link
            ? `\nthe owner sets a password here (once, until ${created.link!.expiresAt.toISOString()}):\n${link}`
            : ''),
      );
    } else if (command === 'reset-password') {
      const email = required(values.email, '--email');
      const done = await resetPassword(db, {
        email,
        password: values.password,
        linkTtlSeconds: config.passwordResetTtl,
      });
      const link = done.link && linkOf(done.link.token);
      print(
        { link, sessions_ended: done.ended },
        link
          ? `${email} sets a new password here (once, until ${done.link!.expiresAt.toISOString()}):\n${link}`
          : `password of ${email} set; ${done.ended} session(s) ended`,
      );
    } else if (command === 'end-sessions') {
      const email = required(values.email, '--email');
      const ended = await endSessions(db, email);
      print({ sessions_ended: ended }, `${ended} session(s) of ${email} ended`);
    } else {
      const organizations = await listOrganizations(db);
      print(
        organizations,
        organizations
          .map(
            (org) =>
              `${org.id}  ${org.slug.padEnd(30)} ${String(org.members).padStart(4)} members  owners: ${org.owners.join(', ')}  ${org.name}`,
          )
          .join('\n') || 'no organisations',
      );
    }
    return 0;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(
      `admin: ${error instanceof AdminError || usage ? error.message : `failed: ${error.message}`}`,
    );
    if (usage) console.error('run `npm run admin -- --help` for the commands');
    process.exit(usage ? 2 : 1);
  },
);
