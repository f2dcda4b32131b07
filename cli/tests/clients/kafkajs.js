// Drives @kafkajs/confluent-schema-registry (text protobuf schemas parsed with protobufjs)
// against a running huntreg, for cli/tests/clients.rs.
//
// One request per process: {url, calls: [[method, arg...], ...]} on stdin, {results: [...]}
// on stdout, one SchemaRegistry instance for all calls of the request. A failed call comes
// back as {error: {status, name, message}}; a crash here is a stack trace and exit status 1.
// Modules come from $NODE_PATH (.tools/node_modules).
//
// Methods:
//   ["register", {schema, references?}, subject]  -> {id}
//   ["encode", id, value]                         -> hex of the framed record
//   ["decode", hex]                               -> the message as JSON (protobufjs toJSON)
//   ["getLatestSchemaId", subject], ["getRegistryId", subject, version],
//   ["getRegistryIdBySchema", subject, {schema, references?}] -> id
'use strict';

const fs = require('fs');
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');

const protobuf = (s) => ({ type: SchemaType.PROTOBUF, schema: s.schema, references: s.references });

const METHODS = {
  register: async (r, schema, subject) => {
    const { id } = await r.register(protobuf(schema), { subject });
    return { id };
  },
  encode: async (r, id, value) => (await r.encode(id, value)).toString('hex'),
  decode: async (r, hex) => (await r.decode(Buffer.from(hex, 'hex'))).toJSON(),
  getLatestSchemaId: (r, subject) => r.getLatestSchemaId(subject),
  getRegistryId: (r, subject, version) => r.getRegistryId(subject, version),
  getRegistryIdBySchema: (r, subject, schema) => r.getRegistryIdBySchema(subject, protobuf(schema)),
};

async function main() {
  const req = JSON.parse(fs.readFileSync(0, 'utf8'));
  // retries only apply to HTTP >= 500; keep them short so a server error fails fast.
  const registry = new SchemaRegistry({ host: req.url, retry: { retries: 0 } });
  const results = [];
  for (const [method, ...args] of req.calls) {
    try {
      results.push({ ok: (await METHODS[method](registry, ...args)) ?? null });
    } catch (e) {
      const known = e && (e.name === 'ResponseError' || String(e.name).startsWith('ConfluentSchemaRegistry'));
      if (!known) throw e;
      results.push({ error: { status: e.status ?? null, name: e.name, message: e.message } });
    }
  }
  process.stdout.write(`${JSON.stringify({ results })}\n`);
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
