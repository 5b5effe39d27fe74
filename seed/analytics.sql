-- Local seed data for the analytics summary action: two weeks of page views, relative to today.
-- Applied by `npm run dev` (local D1 only); idempotent.
insert or replace into "page_views" ("day", "path", "views") values
  (date('now'), '/', 240), (date('now'), '/pricing', 96), (date('now'), '/docs', 180),
  (date('now', '-1 day'), '/', 310), (date('now', '-1 day'), '/pricing', 120), (date('now', '-1 day'), '/blog/kv', 75),
  (date('now', '-2 days'), '/', 280), (date('now', '-2 days'), '/docs', 150),
  (date('now', '-3 days'), '/', 200), (date('now', '-3 days'), '/pricing', 60), (date('now', '-3 days'), '/docs', 90),
  (date('now', '-5 days'), '/', 190), (date('now', '-5 days'), '/blog/kv', 40),
  (date('now', '-6 days'), '/', 220), (date('now', '-6 days'), '/docs', 130),
  (date('now', '-9 days'), '/', 150), (date('now', '-9 days'), '/pricing', 30),
  (date('now', '-13 days'), '/', 120), (date('now', '-13 days'), '/docs', 45);
