-- golang-migrate's history table, which golang-migrate creates before the first file runs and
-- which Harbor's own files alter (V0030) and update (V0040).
CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
