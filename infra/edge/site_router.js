// The published site's router: a CloudFront Function (cloudfront-js-2.0) on the viewer requests of
// the `/site/*` behaviour. It does, in JavaScript, what `shared/site/routing.py` does in Python (local
// mode's gateway), and tests hold both to the same cases (tests/unit/test_site_routing.py).
//
// The KeyValueStore holds, per section (`directory`), the live version (`directory` -> "44") and
// each path's entry (`directory/index.html` -> "44 40=38 35-": from version 44 its bytes are under
// v/44/, from 40 under v/38/, from 35 it is deleted). The request is rewritten to the bytes of the live
// version: `/site/directory/index.html` -> `/site/directory/v/44/index.html`. One key (the pointer)
// switches a whole version; an entry's items above the pointer are never used.
import cf from 'cloudfront';

const kvs = cf.kvs('__KVS_ID__');
const ITEM = /^([0-9]{1,9})(?:=([0-9]{1,9})|(-))?$/;

function notFound() {
  return {
    statusCode: 404,
    statusDescription: 'Not Found',
    headers: { 'content-type': { value: 'text/html; charset=utf-8' }, 'cache-control': { value: 'no-store' } },
    body: '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Page not found</title></head><body><main><h1>Page not found</h1><p>If you typed the web address, check that it is right. If you used a link, it may be old.</p><p><a href="/site/directory/">Go to the directory</a></p></main></body></html>',
  };
}

function resolve(pointer, entry) {
  if (!/^[0-9]{1,9}$/.test(pointer)) return null;
  const live = parseInt(pointer, 10);
  let best = null;
  for (const part of entry.split(' ')) {
    const found = ITEM.exec(part);
    if (!found) continue;
    const version = parseInt(found[1], 10);
    if (version > live || (best !== null && version <= best.version)) continue;
    best = { version: version, location: found[3] ? null : (found[2] ? parseInt(found[2], 10) : version) };
  }
  return best === null ? null : best.location;
}

async function handler(event) {
  const request = event.request;
  const match = /^\/site\/([a-z0-9-]+)(\/.*)?$/.exec(request.uri);
  if (!match) return notFound();
  const section = match[1];
  if (match[2] === undefined) {
    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: `/site/${section}/` } } };
  }
  let path = match[2].slice(1);
  if (path === '' || path.endsWith('/')) path += 'index.html';
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..') || path.indexOf('\\') >= 0) return notFound();
  let pointer;
  let entry;
  try {
    pointer = await kvs.get(section);
    entry = await kvs.get(`${section}/${path}`);
  } catch (missing) {
    return notFound();
  }
  const location = resolve(pointer, entry);
  if (location === null) return notFound();
  request.uri = `/site/${section}/v/${location}/${path}`;
  return request;
}
