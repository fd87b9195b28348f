DROP MATERIALIZED VIEW IF EXISTS lineage_events_by_type_daily_view;
