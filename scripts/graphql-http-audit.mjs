// Runs the graphql-http server audits (GraphQL over HTTP spec conformance) against a live
// Gatehouse and fails unless every audit passes: `node graphql-http-audit.mjs URL`.
import { auditServer } from 'graphql-http';

const EXPECTED_AUDITS = 61;
const url = process.argv[2];
if (!url) {
  console.error('usage: node graphql-http-audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}

const results = await auditServer({ url });
const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] += 1;
  if (result.status !== 'ok') {
    const body = await result.response.text().catch(() => '');
    console.log(`${result.status.toUpperCase()} ${result.id} ${result.name}`);
    console.log(`  ${result.reason}`);
    console.log(`  HTTP ${result.response.status} ${result.response.headers.get('content-type')}: ${body.slice(0, 300)}`);
  }
}

console.log(
  `graphql-http audit: ${counts.ok} ok, ${counts.notice} notice, ${counts.warn} warn, ` +
    `${counts.error} error (of ${results.length}; ${EXPECTED_AUDITS} expected)`,
);
const passed = counts.ok === EXPECTED_AUDITS && results.length === EXPECTED_AUDITS;
process.exit(passed ? 0 : 1);
