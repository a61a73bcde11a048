-- Up Migration
CREATE TABLE greetings (id serial PRIMARY KEY, text text NOT NULL);
INSERT INTO greetings (text) VALUES ('hello');

-- Down Migration
DROP TABLE greetings;
