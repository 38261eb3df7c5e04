-- Runs once, when the temporal-db volume is first initialised (the postgres image's
-- /docker-entrypoint-initdb.d): POSTGRES_DB creates `temporal`; visibility gets its own database.
CREATE DATABASE temporal_visibility;
