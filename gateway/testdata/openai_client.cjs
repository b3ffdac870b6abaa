// Runs a plan of requests through the official `openai` npm client against a base URL and
// prints one JSON line per step. Used by the gateway's end-to-end tests:
//   OPENAI_MODULES=<node_modules> node openai_client.cjs BASE_URL < plan.json
// A step: {"name", "call": "models"|"completion"|"chat", "params": {...}, "stream": bool,
// "times": N (run N copies at once)}. Each result: {"name", "ok", "result"|"error"}.
const path = require('path');
const OpenAI = require(path.join(process.env.OPENAI_MODULES, 'openai'));

const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY || 'unused', baseURL: process.argv[2], maxRetries: 0, timeout: 300000 });

async function run(step) {
  const start = Date.now();
  if (step.call === 'models') {
    const list = await client.models.list();
    return { data: list.data };
  }
  const api = step.call === 'chat' ? client.chat.completions : client.completions;
  if (!step.stream) {
    const res = await api.create(step.params);
    return { response: res, totalMs: Date.now() - start };
  }
  const stream = await api.create({ ...step.params, stream: true });
  let content = '';
  let firstMs = null;
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    const c = chunk.choices && chunk.choices[0];
    const piece = c ? (step.call === 'chat' ? (c.delta && c.delta.content) || '' : c.text || '') : '';
    if (piece && firstMs === null) firstMs = Date.now() - start;
    content += piece;
  }
  return { content, chunks: chunks.length, final: chunks[chunks.length - 1], firstMs, totalMs: Date.now() - start };
}

function errorOf(err) {
  if (err instanceof OpenAI.APIError) {
    return { status: err.status ?? null, code: err.code ?? null, type: err.type ?? null, param: err.param ?? null, message: err.message };
  }
  return { status: null, message: String(err && err.stack || err) };
}

async function main() {
  const plan = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  for (const step of plan) {
    const copies = step.times || 1;
    const results = await Promise.all(Array.from({ length: copies }, () =>
      run(step).then((result) => ({ ok: true, result }), (err) => ({ ok: false, error: errorOf(err) }))));
    for (const r of results) {
      process.stdout.write(JSON.stringify({ name: step.name, ...r }) + '\n');
    }
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
