// exitbrain-sim checked by someone else's client: Binance's official USDⓈ-M connector for
// Node (@binance/derivatives-trading-usds-futures) drives the simulator as a real client
// drives Binance, over TLS, and every answer is compared with two things the connector's
// authors wrote, not we: the request the connector builds must be accepted (paths,
// parameter encoding, HMAC signature, headers), and the answer must fit the response type
// the package declares for that call (its index.d.ts: field names and JSON types, nested
// arrays and objects included). On top, the exchange's behaviour: a MARKET order fills, the
// fill shows in the position, the trade list, the account and the user-data stream; a
// conditional order lives and dies on the algo endpoints; duplicate client ids are refused.
//
// Usage: node sim_conformance.mjs --rest https://127.0.0.1:PORT --ws wss://127.0.0.1:PORT
//        [--dts node_modules/@binance/derivatives-trading-usds-futures/dist/index.d.ts]
// The API key and secret come from BINANCE_API_KEY / BINANCE_API_SECRET (the sim's own).
// Prints one line per check and "N passed, M failed"; exit status 1 if any failed.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { DerivativesTradingUsdsFutures } from '@binance/derivatives-trading-usds-futures';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
if (!args.rest || !args.ws) {
  console.error('usage: node sim_conformance.mjs --rest https://HOST:PORT --ws wss://HOST:PORT [--dts FILE]');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const dtsPath = args.dts ??
  path.join(path.dirname(require.resolve('@binance/derivatives-trading-usds-futures')), 'index.d.ts');
const dts = fs.readFileSync(dtsPath, 'utf8');

// ---- the connector's declared types -------------------------------------------------------
const escape = (s) => s.replace(/[$]/g, '\\$');
function restResponseType(method) {
  const m = dts.match(new RegExp(`\\n\\s+${method}\\([^)]*\\): Promise<RestApiResponse<(\\S+?)>>;`));
  return m ? m[1] : undefined;
}
function streamResponseType(method) {
  const m = dts.match(new RegExp(`\\n\\s+${method}\\([^)]*\\): WebsocketStream<(\\S+?)>;`));
  return m ? m[1] : undefined;
}
function interfaceFields(name) {
  const m = dts.match(new RegExp(`\\n(?:declare )?interface ${escape(name)}\\s*\\{(.*?)\\n\\}`, 's'));
  if (!m) return undefined;
  const fields = new Map();
  for (const f of m[1].matchAll(/^\s+'?([A-Za-z0-9_]+)'?\??:\s*([^;]+);/gm)) fields.set(f[1], f[2].trim());
  return fields;
}
// `type X = ...;`, or `interface X extends Array<Y> {}` (read as Array<Y>).
function typeAlias(name) {
  const m = dts.match(new RegExp(`\\ntype ${escape(name)} = ([^;]+);`)) ??
    dts.match(new RegExp(`\\ninterface ${escape(name)} extends (Array<[^{]+>)\\s*\\{\\s*\\}`));
  return m ? m[1].trim() : undefined;
}
const isEnum = (name) => new RegExp(`\\n(?:declare )?enum ${escape(name)}\\b`).test(dts);

// Splits "A | Array<B | C> | D" at the top level.
function unionParts(t) {
  const parts = [];
  let depth = 0, start = 0;
  for (let i = 0; i < t.length; ++i) {
    if (t[i] === '<' || t[i] === '{' || t[i] === '(') ++depth;
    else if (t[i] === '>' || t[i] === '}' || t[i] === ')') --depth;
    else if (t[i] === '|' && depth === 0) { parts.push(t.slice(start, i).trim()); start = i + 1; }
  }
  parts.push(t.slice(start).trim());
  return parts;
}

// Problems of `value` against the declared type `type` ([] when it fits). `extra` collects the
// fields the sim sends that the type does not declare.
function conform(value, type, where, extra) {
  const parts = unionParts(type);
  if (parts.length > 1) {
    let best;
    for (const p of parts) {
      const problems = conform(value, p, where, []);
      if (problems.length === 0) return conform(value, p, where, extra);
      if (!best || problems.length < best.length) best = problems;
    }
    return best;
  }
  const t = type.replace(/^\((.*)\)$/, '$1');
  if (t === 'string') return typeof value === 'string' ? [] : [`${where}: ${show(value)} is not a string`];
  if (t === 'boolean') return typeof value === 'boolean' ? [] : [`${where}: ${show(value)} is not a boolean`];
  if (t === 'number' || t === 'bigint')
    return typeof value === 'number' || typeof value === 'bigint' ? [] : [`${where}: ${show(value)} is not a number`];
  if (t === 'null') return value === null ? [] : [`${where}: ${show(value)} is not null`];
  if (t === 'any' || t === 'unknown' || t === 'object') return [];
  const arr = t.match(/^Array<(.*)>$/s) ?? t.match(/^(.*)\[\]$/s);
  if (arr) {
    if (!Array.isArray(value)) return [`${where}: not an array`];
    return value.flatMap((v, i) => conform(v, arr[1], `${where}[${i}]`, extra));
  }
  if (/^['"]/.test(t)) return value === t.slice(1, -1) ? [] : [`${where}: ${show(value)} is not ${t}`];
  if (isEnum(t)) return typeof value === 'string' ? [] : [`${where}: ${show(value)} is not a string (enum ${t})`];
  const alias = typeAlias(t);
  if (alias) return conform(value, alias, where, extra);
  const fields = interfaceFields(t);
  if (!fields) return [];  // a type this reader does not follow: nothing claimed about it
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${where}: not an object (${t})`];
  const problems = [];
  for (const [k, v] of Object.entries(value)) {
    if (!fields.has(k)) { extra.add(`${where}.${k}`.replace(/\[\d+\]/g, '[]')); continue; }
    if (v === null) continue;  // Binance sends null for unset optional fields (icebergQuantity)
    problems.push(...conform(v, fields.get(k), `${where}.${k}`, extra));
  }
  return problems;
}
const show = (v) => JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x.toString() : x))?.slice(0, 80);

// ---- the run -------------------------------------------------------------------------------
const results = [];
function check(name, ok, detail = '') {
  results.push({ name, ok: !!ok });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `  (${detail})` : ''}`);
  return !!ok;
}
// Fields the sim sends beyond the connector's types, per call: reported, and a failure
// unless listed here with the reason (fields Binance itself sends that the package's type
// does not name yet).
const knownExtra = new Map([
  // Binance's documented New Order answer carries avgPrice and cumQuote (binance-api.md §2,
  // the New-Order example); the package's NewOrderResponse omits them.
  ['newOrder', new Set(['$.avgPrice', '$.cumQuote'])],
  // Live exchangeInfo answers carry futuresType ("U_MARGINED") and each symbol's
  // maxMoveOrderLimit; the package's type names neither.
  ['exchangeInformation', new Set(['$.futuresType', '$.symbols[].maxMoveOrderLimit'])],
  // The algo-order answers as documented (binance-api.md §2: Query-Algo-Order adds the tp/sl
  // fields; activatePrice and callbackRate are in every algo answer, "" when unused).
  ['queryAlgoOrder', new Set(['$.activatePrice', '$.callbackRate', '$.tpTriggerPrice', '$.tpPrice',
    '$.slTriggerPrice', '$.slPrice'])],
  ['currentAllAlgoOpenOrders', new Set(['$[].activatePrice', '$[].callbackRate'])],
]);

const client = new DerivativesTradingUsdsFutures({
  configurationRestAPI: {
    apiKey: process.env.BINANCE_API_KEY, apiSecret: process.env.BINANCE_API_SECRET,
    basePath: args.rest, retries: 0, timeout: 5000,
  },
  configurationWebsocketStreams: { wsURL: args.ws, reconnectDelay: 60000 },
});
const rest = client.restAPI;

// One REST call: accepted, and its answer fits the declared type. Returns the data.
async function call(method, params) {
  const type = restResponseType(method);
  let data;
  try {
    const answer = await (params === undefined ? rest[method]() : rest[method](params));
    data = await answer.data();
  } catch (e) {
    check(`${method}: accepted`, false, `${e.name} ${e.code ?? ''} ${e.message}`);
    return undefined;
  }
  if (type === 'void') {
    check(`${method}: accepted`, true, 'the package declares no answer');
    return data;
  }
  if (!type || !(interfaceFields(type) || typeAlias(type))) {
    check(`${method}: accepted, answer type found in the package`, false, `type ${type} not found in ${dtsPath}`);
    return data;
  }
  const extra = new Set();
  const problems = conform(data, type, '$', extra);
  const allowed = knownExtra.get(method) ?? new Set();
  const unknown = [...extra].filter((f) => !allowed.has(f));
  check(`${method}: accepted, answer fits ${type}`, problems.length === 0 && unknown.length === 0,
    [...problems.slice(0, 3), ...(unknown.length ? [`not in the type: ${unknown.slice(0, 6).join(' ')}`] : [])].join('; '));
  return data;
}
// A call the exchange must refuse with this code.
async function refused(name, method, params, code) {
  try {
    await rest[method](params);
    return check(name, false, 'accepted');
  } catch (e) {
    return check(name, Number(e.code) === code, `code ${e.code}: ${e.message}`);
  }
}
const num = (x) => Number(x);
const near = (a, b, tol = 1e-9) => Math.abs(num(a) - num(b)) <= tol * Math.max(1, Math.abs(num(b)));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(predicate, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (predicate()) return true;
  return predicate();
}

// The type reader itself, on the package's own types: it must see a wrong type and an
// undeclared field, or every "fits" below would prove nothing.
{
  const extra = new Set();
  const wrong = conform({ serverTime: 'soon' }, restResponseType('checkServerTime'), '$', new Set());
  conform({ serverTime: 1, bogus: 1 }, restResponseType('checkServerTime'), '$', extra);
  const nested = conform({ assets: [{ walletBalance: 5 }] }, restResponseType('accountInformationV3'), '$', new Set());
  check('type reader: sees a wrong type, an undeclared field, a nested wrong type',
    wrong.length === 1 && extra.has('$.bogus') && nested.length === 1, `${dtsPath}`);
}

const symbol = 'BTCUSDT';
const run = Date.now().toString(36);
const qty = '0.01';

// Public market data.
const time = await call('checkServerTime');
check('server time within 5 s of ours', time && Math.abs(num(time.serverTime) - Date.now()) < 5000);
const info = await call('exchangeInformation');
const s = info?.symbols?.find((x) => x.symbol === symbol);
const filter = (t) => s?.filters?.find((f) => f.filterType === t);
check('exchangeInfo: symbol with PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, MIN_NOTIONAL',
  s && filter('PRICE_FILTER')?.tickSize && filter('LOT_SIZE')?.stepSize && filter('MARKET_LOT_SIZE') && filter('MIN_NOTIONAL'));
const klines = await call('klineCandlestickData', { symbol, interval: '1m', limit: 3 });
check('klines: at most limit rows of 12, low <= open, close <= high', Array.isArray(klines) && klines.length >= 1 &&
  klines.length <= 3 && klines.every((k) => k.length === 12 && num(k[3]) <= Math.min(num(k[1]), num(k[4])) &&
  num(k[2]) >= Math.max(num(k[1]), num(k[4]))));
const premium = await call('markPrice', { symbol });
check('premiumIndex: a positive mark price', premium && num(premium.markPrice) > 0);

// Account set-up.
const mode = await call('getCurrentPositionMode');
check('position mode: one-way', mode && mode.dualSidePosition === false);
await refused('position mode: the same mode again refused (-4059)', 'changePositionMode', { dualSidePosition: 'false' }, -4059);
const brackets = await call('notionalAndLeverageBrackets', { symbol });
const b = Array.isArray(brackets) ? brackets[0] : brackets;
check('leverage brackets: notional floors rise, leverage falls', b?.brackets?.length > 1 &&
  b.brackets.every((x, i, all) => i === 0 || (num(x.notionalFloor) >= num(all[i - 1].notionalFloor) && num(x.initialLeverage) <= num(all[i - 1].initialLeverage))));
const lev = await call('changeInitialLeverage', { symbol, leverage: 10 });
check('leverage: set to 10', lev && num(lev.leverage) === 10);
const riskV2 = await call('positionInformationV2', { symbol });
check('positionRisk v2: leverage 10, flat', riskV2?.[0]?.leverage === '10' && num(riskV2[0].positionAmt) === 0);
const before = await call('accountInformationV3');
await call('accountInformationV2');
await call('futuresAccountBalanceV2');

// The user-data stream and the market streams, before the orders so that their events show.
const key = (await call('startUserDataStream')) ?? {};
const again = await call('startUserDataStream');
check('listenKey: a second create returns the same key', key?.listenKey && again?.listenKey === key.listenKey);
await call('keepaliveUserDataStream');
const streams = await client.websocketStreams.connect();
const seen = { mark: [], book: [], agg: [], user: [] };
const conformStream = (method, m) => {
  const extra = new Set();
  return [...conform(m, streamResponseType(method), '$', extra), ...[...extra].map((f) => `not in the type: ${f}`)];
};
streams.markPriceStream({ symbol: symbol.toLowerCase(), updateSpeed: '1s' }).on('message', (m) => seen.mark.push(m));
streams.individualSymbolBookTickerStreams({ symbol: symbol.toLowerCase() }).on('message', (m) => seen.book.push(m));
streams.aggregateTradeStreams({ symbol: symbol.toLowerCase() }).on('message', (m) => seen.agg.push(m));
streams.userData(key.listenKey).on('message', (m) => seen.user.push(m));
check('market stream (/market): markPrice@1s', await until(() => seen.mark.length > 0, 5000) &&
  seen.mark[0].e === 'markPriceUpdate' && seen.mark[0].s === symbol, conformStream('markPriceStream', seen.mark[0] ?? {}).join('; '));
check('market stream: markPrice fits MarkPriceStreamResponse', seen.mark[0] && conformStream('markPriceStream', seen.mark[0]).length === 0);
check('public stream (/public): bookTicker, bid <= ask', await until(() => seen.book.length > 0, 5000) &&
  seen.book[0].e === 'bookTicker' && num(seen.book[0].b) <= num(seen.book[0].a) &&
  conformStream('individualSymbolBookTickerStreams', seen.book[0]).length === 0,
  conformStream('individualSymbolBookTickerStreams', seen.book[0] ?? {}).join('; '));
check('market stream: aggTrade', await until(() => seen.agg.length > 0, 5000) && seen.agg[0].e === 'aggTrade' &&
  conformStream('aggregateTradeStreams', seen.agg[0]).length === 0, conformStream('aggregateTradeStreams', seen.agg[0] ?? {}).join('; '));
await sleep(300);  // the listen-key SUBSCRIBE is on its way on the private connection

// A MARKET order: new, query, the position, the trade list, the account, the user stream.
const openId = `conf-${run}-open`;
const placed = await call('newOrder', { symbol, side: 'BUY', type: 'MARKET', quantity: qty, newClientOrderId: openId });
check('newOrder: the client id comes back', placed?.clientOrderId === openId);
await refused('newOrder: a repeated client id refused (-4116)', 'newOrder',
  { symbol, side: 'BUY', type: 'MARKET', quantity: qty, newClientOrderId: openId }, -4116);
const order = await call('queryOrder', { symbol, origClientOrderId: openId });
check('queryOrder: FILLED, executedQty = quantity', order?.status === 'FILLED' && near(order.executedQty, qty));
await refused('cancelOrder: a filled order is unknown (-2011)', 'cancelOrder', { symbol, origClientOrderId: openId }, -2011);
const risk = await call('positionInformationV3', { symbol });
check('positionRisk v3: long the quantity at the fill price', risk?.length === 1 && near(risk[0].positionAmt, qty) &&
  near(risk[0].entryPrice, order?.avgPrice));
const trades = await call('accountTradeList', { symbol, orderId: order?.orderId });
const fill = trades?.[0];
check('userTrades: one BUY fill of the order at its average price', trades?.length === 1 && fill.side === 'BUY' &&
  fill.buyer === true && near(fill.qty, qty) && near(fill.price, order?.avgPrice) && String(fill.orderId) === String(order?.orderId));
const after = await call('accountInformationV3');
check('account: wallet lower by the commission, the position listed',
  after && before && near(num(before.totalWalletBalance) - num(fill?.commission), after.totalWalletBalance, 1e-12) &&
  after.positions?.some((p) => p.symbol === symbol && near(p.positionAmt, qty)));
const balance = await call('futuresAccountBalanceV3');
check('balance: USDT equals the account wallet', balance?.[0]?.asset === 'USDT' && near(balance[0].balance, after?.totalWalletBalance));
const userOf = (id) => seen.user.filter((e) => e.e === 'ORDER_TRADE_UPDATE' && e.o?.c === id);
check('user stream (/private, SUBSCRIBE <listenKey>): NEW then TRADE FILLED for the order',
  await until(() => userOf(openId).length >= 2, 3000) && userOf(openId)[0].o.x === 'NEW' &&
  userOf(openId).some((e) => e.o.x === 'TRADE' && e.o.X === 'FILLED' && near(e.o.l, qty)));
check('user stream: ACCOUNT_UPDATE with the position', seen.user.some((e) => e.e === 'ACCOUNT_UPDATE' &&
  e.a?.P?.some((p) => p.s === symbol && near(p.pa, qty))));

// A conditional stop on the algo endpoints: new, query, open list, cancel.
const stopId = `conf-${run}-stop`;
const trigger = (Math.floor(num(premium?.markPrice ?? 60000) * 0.9)).toString();
const algo = await call('newAlgoOrder', { algoType: 'CONDITIONAL', symbol, side: 'SELL', type: 'STOP_MARKET',
  triggerPrice: trigger, closePosition: 'true', workingType: 'MARK_PRICE', priceProtect: 'TRUE', clientAlgoId: stopId });
check('newAlgoOrder: NEW, the client id and trigger come back', algo?.algoStatus === 'NEW' && algo.clientAlgoId === stopId &&
  near(algo.triggerPrice, trigger));
const q1 = await call('queryAlgoOrder', { clientAlgoId: stopId });
check('queryAlgoOrder: NEW, closePosition', q1?.algoStatus === 'NEW' && q1.closePosition === true);
const open = await call('currentAllAlgoOpenOrders', { symbol });
check('openAlgoOrders: lists the stop', open?.some((o) => o.clientAlgoId === stopId));
await refused('newAlgoOrder: a repeated client algo id refused (-4116)', 'newAlgoOrder', { algoType: 'CONDITIONAL', symbol,
  side: 'SELL', type: 'STOP_MARKET', triggerPrice: trigger, closePosition: 'true', clientAlgoId: stopId }, -4116);
const cancelled = await call('cancelAlgoOrder', { clientAlgoId: stopId });
check('cancelAlgoOrder: success', cancelled && String(cancelled.code) === '200');
const q2 = await call('queryAlgoOrder', { clientAlgoId: stopId });
check('queryAlgoOrder: CANCELED after the cancel', q2?.algoStatus === 'CANCELED');
const open2 = await call('currentAllAlgoOpenOrders', { symbol });
check('openAlgoOrders: the stop is gone', Array.isArray(open2) && !open2.some((o) => o.clientAlgoId === stopId));

// Close the position reduce-only; the stream shows it flat.
const closeId = `conf-${run}-close`;
await call('newOrder', { symbol, side: 'SELL', type: 'MARKET', quantity: qty, reduceOnly: 'true', newClientOrderId: closeId });
check('user stream: the reduce-only close FILLED, ACCOUNT_UPDATE flat', await until(() =>
  userOf(closeId).some((e) => e.o.X === 'FILLED' && e.o.R === true) &&
  seen.user.some((e) => e.e === 'ACCOUNT_UPDATE' && e.a?.P?.some((p) => p.s === symbol && num(p.pa) === 0)), 3000));
await refused('newOrder: reduce-only with nothing to reduce refused (-2022)', 'newOrder',
  { symbol, side: 'SELL', type: 'MARKET', quantity: qty, reduceOnly: 'true', newClientOrderId: `conf-${run}-none` }, -2022);
const flat = await call('positionInformationV3', { symbol });
check('positionRisk v3: flat (no entries)', Array.isArray(flat) && flat.length === 0);
const all = await call('accountTradeList', { symbol, limit: 1000 });
check('userTrades: both fills, ids rising', all?.length >= 2 && all.every((t, i) => i === 0 || BigInt(t.id) > BigInt(all[i - 1].id)));

await call('closeUserDataStream');
await refused('listenKey: keepalive after close refused (-1125)', 'keepaliveUserDataStream', undefined, -1125);
await streams.disconnect();

const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
