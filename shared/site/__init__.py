"""Versioned, atomic, incremental publication of a part of the public site (`/site/<section>/`).

Any capability that publishes pages (the directory; "you said, we did" next) hands a
`SitePublisher` the complete set of files of its section, and gets back a new version:

- each file's bytes are written once, under the prefix of the version that first had them
  (`site/<section>/v/<version>/<path>`), so a publication writes only what changed (by SHA-256);
- a version's manifest (`v/<version>/manifest.json`) lists every path with the history of where its
  bytes live, version by version;
- the routes say, for each path, from which version on it lives where, and one pointer names the
  live version: readers resolve a path with `routing.resolve`. Only the pointer's switch makes a
  version live, so a reader sees one version whole, never half of two; a publication that fails
  before the switch leaves the last good version live; a rollback is the pointer alone;
- in AWS the routes and the pointer are a CloudFront KeyValueStore read by a CloudFront Function
  (`infra/edge/site_router.js`, the same resolution in JavaScript); locally they are objects of the
  section's own prefix, read by local mode's gateway (`infra/local/gateway.py`);
- one publication at a time per section (a lease in the capability's table: `ledger.Ledger`), the
  last `keep` versions kept for rollback, older objects pruned.
"""
