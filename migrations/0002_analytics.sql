-- Page views per day and path: the data behind the analytics summary action.
create table "page_views" (
  "day" text not null,          -- YYYY-MM-DD (UTC)
  "path" text not null,
  "views" integer not null check ("views" >= 0),
  primary key ("day", "path")
);

create index "page_views_day_idx" on "page_views" ("day");
