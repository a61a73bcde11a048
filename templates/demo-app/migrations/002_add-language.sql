-- Up Migration
ALTER TABLE greetings ADD COLUMN language text NOT NULL DEFAULT 'en';

-- Down Migration
ALTER TABLE greetings DROP COLUMN language;
