-- Up Migration
-- Irreversible on purpose (no Down section): zops takes a restore point before running it.
CREATE TABLE greeting_audit (id serial PRIMARY KEY, greeting_id int NOT NULL, seen_at timestamptz NOT NULL DEFAULT now());
UPDATE greetings SET text = upper(text);
