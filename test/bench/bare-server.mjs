// The baseline of `npm run bench`: a bare Node `http` + `mysql2` server answering the routes the
// benchmark drives with the SQL danwel needs for them, and nothing else (no auth, no validation,
// no framework). danwel's figures are ratios against this server, measured in the same run.
// Configured by BARE_DB_URL and BARE_PORT; prints `listening <port>` once it accepts requests.
import { createServer } from 'node:http';
import { URL } from 'node:url';
import { createPool } from 'mysql2/promise';

const pool = createPool({
  uri: process.env.BARE_DB_URL,
  connectionLimit: 10,
  timezone: 'Z',
  dateStrings: false,
});

const LIST_COLUMNS =
  'id, user_id, title, description, start_time, end_time, timezone, color, client_id, ' +
  'project_id, calendar_id, is_billable, calendar_sync_status, invoicing_sync_status, ' +
  'sync_version, sync_error, last_synced_at, created_at, updated_at';
const DAY_MS = 86_400_000;

function send(res, status, body, type = 'application/json') {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')));
    req.on('error', reject);
  });
}

async function weekList(res, organizationId, params) {
  const from = new Date(params.get('from'));
  const to = new Date(params.get('to'));
  const userId = params.get('user_id');
  const byUser = userId !== 'all';
  const [rows] = await pool.execute(
    `SELECT ${LIST_COLUMNS} FROM time_blocks WHERE organization_id = ?` +
      (byUser ? ' AND user_id = ?' : '') +
      ' AND start_time < ? AND start_time > ? AND end_time > ? AND deleted_at IS NULL' +
      ' ORDER BY start_time ASC, id ASC LIMIT 26',
    [
      organizationId,
      ...(byUser ? [Number(userId)] : []),
      to,
      new Date(from.getTime() - DAY_MS),
      from,
    ],
  );
  send(res, 200, { data: rows.slice(0, 25), next_cursor: rows.length > 25 ? 'more' : null });
}

async function summary(res, organizationId, params) {
  const [rows] = await pool.execute(
    'SELECT user_id, COUNT(*) AS blocks, SUM(TIMESTAMPDIFF(SECOND, start_time, end_time)) AS seconds' +
      ' FROM time_blocks WHERE organization_id = ? AND start_time < ? AND end_time > ?' +
      ' AND deleted_at IS NULL GROUP BY user_id',
    [organizationId, new Date(params.get('to')), new Date(params.get('from'))],
  );
  send(res, 200, { rows });
}

const csvField = (value) => {
  const text = value instanceof Date ? value.toISOString() : String(value ?? '');
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

function exportCsv(res, organizationId, params) {
  res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
  res.write('id,user_id,title,start_time,end_time,timezone,is_billable\r\n');
  const stream = pool.pool
    .query(
      'SELECT id, user_id, title, start_time, end_time, timezone, is_billable FROM time_blocks' +
        ' WHERE organization_id = ? AND start_time < ? AND end_time > ? AND deleted_at IS NULL' +
        ' ORDER BY start_time, id',
      [organizationId, new Date(params.get('to')), new Date(params.get('from'))],
    )
    .stream();
  stream.on('data', (row) => {
    const line = Object.values(row).map(csvField).join(',') + '\r\n';
    if (!res.write(line)) {
      stream.pause();
      res.once('drain', () => stream.resume());
    }
  });
  stream.on('end', () => res.end());
  stream.on('error', () => res.destroy());
}

const INSERT_COLUMNS =
  '(organization_id, user_id, title, start_time, end_time, timezone, is_billable, ' +
  'calendar_sync_status, invoicing_sync_status, created_at, updated_at)';

function blockValues(organizationId, userId, block) {
  const now = new Date();
  return [
    organizationId,
    userId,
    block.title,
    new Date(block.start_time),
    new Date(block.end_time),
    block.timezone ?? 'UTC',
    block.is_billable ?? true,
    'pending',
    'disabled',
    now,
    now,
  ];
}

async function insertBlocks(organizationId, userId, blocks) {
  const placeholders = blocks.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
  const [result] = await pool.query(
    `INSERT INTO time_blocks ${INSERT_COLUMNS} VALUES ${placeholders}`,
    blocks.flatMap((block) => blockValues(organizationId, userId, block)),
  );
  return result.insertId;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://bare');
  const match = /^\/api\/v1\/organizations\/(\d+)\/(.+)$/.exec(url.pathname);
  if (!match) return send(res, 404, { title: 'Not Found' });
  const organizationId = Number(match[1]);
  // The caller, as the bench addresses it (the bare server checks nothing).
  const userId = Number(req.headers['x-bench-user'] ?? 0);
  const route = `${req.method} ${match[2]}`;
  if (route === 'GET time-blocks') return weekList(res, organizationId, url.searchParams);
  if (route === 'GET reports/summary') return summary(res, organizationId, url.searchParams);
  if (route === 'GET reports/export.csv') return exportCsv(res, organizationId, url.searchParams);
  if (route === 'POST time-blocks') {
    const id = await insertBlocks(organizationId, userId, [await readBody(req)]);
    return send(res, 201, { id });
  }
  if (route === 'POST time-blocks/bulk') {
    const body = await readBody(req);
    const first = await insertBlocks(
      organizationId,
      userId,
      body.operations.map((operation) => operation.data),
    );
    return send(res, 200, {
      results: body.operations.map((_, index) => ({ index, id: first + index, status: 'created' })),
    });
  }
  send(res, 404, { title: 'Not Found' });
}

const server = createServer((req, res) => {
  handle(req, res).catch((error) => send(res, 500, { title: String(error.message) }));
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.BARE_PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
