-- The new release: knows only email, and reaches the new shape through search_path
-- (tide search-path: public_v2, public). It writes nothing for the old release.
\set id random(1, :rows)
SELECT id, name, email FROM customers WHERE id = :id;
UPDATE customers SET name = name, email = 'v3.' || :id || '@example.com' WHERE id = :id;
INSERT INTO customers (name, email) VALUES ('Third Release ' || :id, 'v3.new.' || :id || '@example.com');
