#include "declarative_cases.h"

#include <fmt/format.h>

#include <algorithm>

namespace tide::testing {

const char* kDeclarativeSetup =
    "CREATE TABLE customers (id bigserial PRIMARY KEY, name text NOT NULL, "
    "contact_info varchar(255));\n"
    "INSERT INTO customers (name, contact_info) SELECT 'Customer ' || g, CASE WHEN g % 10 = 0 "
    "THEN NULL ELSE 'c' || g || '@example.com' END FROM generate_series(1, 3000) g;\n"
    "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint, quantity integer NOT NULL "
    "DEFAULT 1, status text, note text);\n"
    "INSERT INTO orders (customer_id, quantity, status, note) SELECT 1 + g % 3000, g % 7, CASE "
    "WHEN g % 5 = 0 THEN NULL ELSE 's' || g END, 'n' || g FROM generate_series(1, 20000) g;\n"
    "CREATE TABLE legacy_notes (id bigserial PRIMARY KEY, body text);\n"
    "INSERT INTO legacy_notes (body) SELECT 'b' || g FROM generate_series(1, 100) g;\n"
    "ANALYZE;\n";

namespace {

std::string S(int64_t n) { return std::to_string(n); }
bool New(const Write& w) { return w.by == By::kNew || w.by == By::kNewRolledBack; }

std::string Status(int64_t id) { return id % 5 == 0 ? "-" : "s" + S(id); }
std::string Contact(int64_t id) { return id % 10 == 0 ? "-" : "c" + S(id) + "@example.com"; }

// Both releases write orders.note, which the migration does not touch: identity both ways.
DeclarativeCase NoteWriters(std::string name, std::string yaml) {
  DeclarativeCase c;
  c.name = std::move(name);
  c.yaml = std::move(yaml);
  c.views = false;
  c.old_update = "UPDATE orders SET note = 'o' || $2 WHERE id = $1::bigint";
  c.old_insert = "INSERT INTO orders (customer_id, note) VALUES (1, 'o' || $1) RETURNING id";
  c.new_update = "UPDATE orders SET note = 'w' || $2 WHERE id = $1::bigint";
  c.new_insert = "INSERT INTO orders (customer_id, note) VALUES (1, 'w' || $1) RETURNING id";
  c.old_table = c.new_table = "orders";
  c.old_read = c.new_read = "note";
  c.old_expect = c.new_expect = [](const Write& w, int64_t id) {
    if (w.by == By::kNobody) return "n" + S(id);
    return (New(w) ? "w" : "o") + S(w.k);
  };
  return c;
}

DeclarativeCase Customers() {
  DeclarativeCase c;
  c.name = "customers";
  c.yaml =
      "operations:\n"
      "  - add_column:\n"
      "      table: customers\n"
      "      column: {name: email, type: varchar(255), nullable: false}\n"
      "      up: \"concat(lower(replace(name, ' ', '.')), '@legacy.example.com')\"\n"
      "  - drop_column: {table: customers, column: contact_info, down: email}\n"
      "  - create_index: {table: customers, name: idx_customers_email, columns: [email]}\n";
  c.old_update = "UPDATE customers SET name = name, contact_info = 'o' || $2 WHERE id = $1::bigint";
  c.old_insert =
      "INSERT INTO customers (name, contact_info) VALUES ('Old ' || $1, 'o' || $1) "
      "RETURNING id";
  c.new_update = "UPDATE customers SET name = name, email = 'w' || $2 WHERE id = $1::bigint";
  c.new_insert =
      "INSERT INTO customers (name, email) VALUES ('New ' || $1, 'w' || $1) "
      "RETURNING id";
  c.old_table = c.new_table = "customers";
  c.old_read = "coalesce(contact_info, '-')";
  c.new_read = "email";
  c.old_expect = [](const Write& w, int64_t id) {
    if (w.by == By::kNobody) return Contact(id);
    return (New(w) ? "w" : "o") + S(w.k);
  };
  c.new_expect = [](const Write& w, int64_t id) -> std::string {
    if (w.by == By::kNew) return "w" + S(w.k);
    if (!w.inserted) return "customer." + S(id) + "@legacy.example.com";
    return (w.by == By::kOld ? "old." : "new.") + S(w.k) + "@legacy.example.com";
  };
  c.expanded = {
      "SELECT indisvalid FROM pg_index WHERE indexrelid = 'idx_customers_email'::regclass"};
  c.rolled_back = {"SELECT to_regclass('idx_customers_email') IS NULL"};
  c.contracted = {
      "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'customers'::regclass AND attname = "
      "'email'",
      "SELECT count(*) = 0 FROM pg_attribute WHERE attrelid = 'customers'::regclass AND attname "
      "= 'contact_info' AND NOT attisdropped"};
  return c;
}

DeclarativeCase AddColumn() {
  DeclarativeCase c;
  c.name = "add_column";
  c.yaml =
      "operations:\n  - add_column: {table: orders, column: {name: total, type: numeric}, "
      "up: \"quantity * 10\"}\n";
  c.old_update = "UPDATE orders SET quantity = $2::int WHERE id = $1::bigint";
  c.old_insert = "INSERT INTO orders (customer_id, quantity) VALUES (1, $1::int) RETURNING id";
  c.new_update = "UPDATE orders SET total = $2::numeric WHERE id = $1::bigint";
  c.new_insert =
      "INSERT INTO orders (customer_id, quantity, total) VALUES (1, $1::int, "
      "$1::numeric + 0.5) RETURNING id";
  c.old_table = c.new_table = "orders";
  c.old_read = "quantity::text";
  c.new_read = "quantity || '/' || coalesce(total::text, '-')";
  c.old_expect = [](const Write& w, int64_t id) {
    return S(w.by == By::kNobody || (New(w) && !w.inserted) ? id % 7 : w.k);
  };
  c.new_expect = [](const Write& w, int64_t id) {
    int64_t q = w.by == By::kNobody || (New(w) && !w.inserted) ? id % 7 : w.k;
    if (w.by == By::kNew) return S(q) + "/" + (w.inserted ? S(w.k) + ".5" : S(w.k));
    return S(q) + "/" + S(q * 10);
  };
  c.contracted = {"SELECT count(*) = 0 FROM pg_trigger WHERE tgname LIKE '\\_tide%'"};
  return c;
}

DeclarativeCase RenameColumn() {
  DeclarativeCase c =
      NoteWriters("rename_column",
                  "operations:\n  - rename_column: {table: orders, from: note, to: comment}\n");
  c.views = true;
  c.new_update = "UPDATE orders SET comment = 'w' || $2 WHERE id = $1::bigint";
  c.new_insert = "INSERT INTO orders (customer_id, comment) VALUES (1, 'w' || $1) RETURNING id";
  c.new_read = "comment";
  c.expanded = {"SELECT count(*) = 0 FROM pg_trigger WHERE tgname LIKE '\\_tide%'"};
  c.contracted = {
      "SELECT count(*) = 1 FROM pg_attribute WHERE attrelid = 'orders'::regclass AND "
      "attname = 'comment'"};
  return c;
}

DeclarativeCase ChangeType() {
  DeclarativeCase c;
  c.name = "change_type";
  c.yaml =
      "operations:\n  - change_type: {table: orders, column: quantity, type: bigint, up: "
      "\"quantity::bigint\", down: \"quantity::integer\"}\n";
  c.old_update = "UPDATE orders SET quantity = $2::int WHERE id = $1::bigint";
  c.old_insert = "INSERT INTO orders (customer_id, quantity) VALUES (1, $1::int) RETURNING id";
  c.new_update = "UPDATE orders SET quantity = $2::bigint + 1000000 WHERE id = $1::bigint";
  c.new_insert =
      "INSERT INTO orders (customer_id, quantity) VALUES (1, $1::bigint + 1000000) "
      "RETURNING id";
  c.old_table = c.new_table = "orders";
  c.old_read = "quantity::text";
  c.new_read = "quantity || ':' || pg_typeof(quantity)";
  c.old_expect = [](const Write& w, int64_t id) {
    if (w.by == By::kNobody) return S(id % 7);
    return S(New(w) ? w.k + 1000000 : w.k);
  };
  c.new_expect = [c](const Write& w, int64_t id) { return c.old_expect(w, id) + ":bigint"; };
  c.expanded = {
      "SELECT count(*) = 1 FROM pg_attribute WHERE attrelid = 'orders'::regclass AND "
      "attname = '_tide_new_quantity'"};
  c.contracted = {
      "SELECT format_type(atttypid, atttypmod) = 'bigint' AND attnotnull FROM pg_attribute WHERE "
      "attrelid = 'orders'::regclass AND attname = 'quantity'",
      "SELECT pg_get_expr(adbin, adrelid) = '1' FROM pg_attrdef d JOIN pg_attribute a ON "
      "a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = 'orders'::regclass AND "
      "a.attname = 'quantity'"};
  return c;
}

DeclarativeCase SetNotNull() {
  DeclarativeCase c;
  c.name = "set_not_null";
  c.yaml =
      "operations:\n  - set_not_null: {table: orders, column: status, up: \"coalesce(status, "
      "'new')\"}\n";
  c.old_update =
      "UPDATE orders SET status = CASE WHEN $2::int % 2 = 0 THEN NULL ELSE 'o' || $2 "
      "END WHERE id = $1::bigint";
  c.old_insert =
      "INSERT INTO orders (customer_id, status) VALUES (1, CASE WHEN $1::int % 2 = 0 "
      "THEN NULL ELSE 'o' || $1 END) RETURNING id";
  c.new_update = "UPDATE orders SET status = 'w' || $2 WHERE id = $1::bigint";
  c.new_insert = "INSERT INTO orders (customer_id, status) VALUES (1, 'w' || $1) RETURNING id";
  c.old_table = c.new_table = "orders";
  c.old_read = c.new_read = "coalesce(status, '-')";
  c.old_expect = [](const Write& w, int64_t id) {
    if (w.by == By::kNobody) return Status(id);
    if (New(w)) return "w" + S(w.k);
    return w.k % 2 == 0 ? std::string("-") : "o" + S(w.k);
  };
  c.new_expect = [c](const Write& w, int64_t id) {
    std::string old = c.old_expect(w, id);
    return old == "-" ? std::string("new") : old;
  };
  c.contracted = {
      "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'orders'::regclass AND "
      "attname = 'status'"};
  return c;
}

DeclarativeCase SetNotNullAsIs() {
  DeclarativeCase c = NoteWriters("set_not_null_without_up",
                                  "operations:\n  - set_not_null: {table: orders, column: note}\n");
  c.expanded = {
      "SELECT NOT attnotnull FROM pg_attribute WHERE attrelid = 'orders'::regclass AND "
      "attname = 'note'"};
  c.contracted = {
      "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'orders'::regclass AND "
      "attname = 'note'",
      "SELECT count(*) = 0 FROM pg_constraint WHERE conname LIKE 'tide\\_nn%'"};
  return c;
}

DeclarativeCase DropColumn() {
  DeclarativeCase c;
  c.name = "drop_column";
  c.yaml =
      "operations:\n  - drop_column: {table: orders, column: note, down: \"'from ' || "
      "coalesce(status, '?')\"}\n";
  c.old_update = "UPDATE orders SET note = 'o' || $2 WHERE id = $1::bigint";
  c.old_insert = "INSERT INTO orders (customer_id, note) VALUES (1, 'o' || $1) RETURNING id";
  c.new_update = "UPDATE orders SET status = 'w' || $2 WHERE id = $1::bigint";
  c.new_insert = "INSERT INTO orders (customer_id, status) VALUES (1, 'w' || $1) RETURNING id";
  c.old_table = c.new_table = "orders";
  c.old_read = "coalesce(note, '-')";
  c.new_read = "coalesce(status, '-')";
  c.old_expect = [](const Write& w, int64_t id) {
    if (w.by == By::kNobody || (New(w) && !w.inserted)) return "n" + S(id);
    return (New(w) ? "from w" : "o") + S(w.k);
  };
  c.new_expect = [](const Write& w, int64_t id) {
    if (New(w)) return "w" + S(w.k);
    return w.inserted ? std::string("-") : Status(id);
  };
  c.contracted = {
      "SELECT count(*) = 0 FROM pg_attribute WHERE attrelid = 'orders'::regclass AND "
      "attname = 'note' AND NOT attisdropped"};
  return c;
}

DeclarativeCase AddCheck() {
  DeclarativeCase c;
  c.name = "add_check";
  c.yaml =
      "operations:\n  - add_check: {table: orders, name: orders_qty_positive, check: "
      "\"quantity > 0\", up: \"greatest(quantity, 1)\"}\n";
  c.old_update = "UPDATE orders SET quantity = $2::int % 3 WHERE id = $1::bigint";
  c.old_insert = "INSERT INTO orders (customer_id, quantity) VALUES (1, $1::int % 3) RETURNING id";
  // Never what the new shape already shows (up gives 1..6): a write that changes nothing in the
  // writer's shape propagates nothing.
  c.new_update = "UPDATE orders SET quantity = $2::int % 100 + 10 WHERE id = $1::bigint";
  c.new_insert =
      "INSERT INTO orders (customer_id, quantity) VALUES (1, $1::int % 100 + 10) "
      "RETURNING id";
  c.old_table = c.new_table = "orders";
  c.old_read = c.new_read = "quantity::text";
  c.old_expect = [](const Write& w, int64_t id) {
    if (w.by == By::kNobody) return S(id % 7);
    return S(New(w) ? w.k % 100 + 10 : w.k % 3);
  };
  c.new_expect = [c](const Write& w, int64_t id) {
    return S(std::max<int64_t>(1, std::stoll(c.old_expect(w, id))));
  };
  c.expanded = {"SELECT NOT convalidated FROM pg_constraint WHERE conname = 'orders_qty_positive'"};
  c.rolled_back = {"SELECT count(*) = 0 FROM pg_constraint WHERE conname = 'orders_qty_positive'"};
  c.contracted = {"SELECT convalidated FROM pg_constraint WHERE conname = 'orders_qty_positive'"};
  return c;
}

DeclarativeCase CreateIndex() {
  DeclarativeCase c = NoteWriters("create_index",
                                  "operations:\n  - create_index: {table: orders, name: "
                                  "orders_customer_idx, columns: [customer_id]}\n");
  c.expanded = {
      "SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_customer_idx'::regclass"};
  c.rolled_back = {"SELECT to_regclass('orders_customer_idx') IS NULL"};
  c.contracted = c.expanded;
  return c;
}

DeclarativeCase AddForeignKey() {
  DeclarativeCase c = NoteWriters(
      "add_foreign_key",
      "operations:\n  - add_foreign_key: {table: orders, name: orders_customer_fk, columns: "
      "[customer_id], references: {table: customers, columns: [id]}, on_delete: restrict}\n");
  c.expanded = {"SELECT NOT convalidated FROM pg_constraint WHERE conname = 'orders_customer_fk'"};
  c.rolled_back = {"SELECT count(*) = 0 FROM pg_constraint WHERE conname = 'orders_customer_fk'"};
  c.contracted = {"SELECT convalidated FROM pg_constraint WHERE conname = 'orders_customer_fk'"};
  return c;
}

DeclarativeCase AddUnique() {
  DeclarativeCase c;
  c.name = "add_unique";
  c.yaml =
      "operations:\n  - add_unique: {table: customers, name: customers_name_key, columns: "
      "[name]}\n";
  c.views = false;
  c.old_update = "UPDATE customers SET contact_info = 'o' || $2 WHERE id = $1::bigint";
  c.old_insert =
      "INSERT INTO customers (name, contact_info) VALUES ('Old ' || $1, 'o' || $1) "
      "RETURNING id";
  c.new_update = "UPDATE customers SET contact_info = 'w' || $2 WHERE id = $1::bigint";
  c.new_insert =
      "INSERT INTO customers (name, contact_info) VALUES ('New ' || $1, 'w' || $1) "
      "RETURNING id";
  c.old_table = c.new_table = "customers";
  c.old_read = c.new_read = "coalesce(contact_info, '-')";
  c.old_expect = c.new_expect = [](const Write& w, int64_t id) {
    if (w.by == By::kNobody) return Contact(id);
    return (New(w) ? "w" : "o") + S(w.k);
  };
  c.expanded = {
      "SELECT indisunique AND indisvalid FROM pg_index WHERE indexrelid = "
      "'customers_name_key'::regclass"};
  c.rolled_back = {"SELECT to_regclass('customers_name_key') IS NULL"};
  c.contracted = {"SELECT contype = 'u' FROM pg_constraint WHERE conname = 'customers_name_key'"};
  return c;
}

DeclarativeCase CreateTable() {
  DeclarativeCase c = NoteWriters(
      "create_table",
      "operations:\n  - create_table:\n      name: invoices\n      columns:\n"
      "        - {name: id, type: bigserial, primary_key: true}\n"
      "        - {name: customer_id, type: bigint, nullable: false, references: {table: "
      "customers}}\n"
      "        - {name: amount, type: \"numeric(10,2)\", default: \"0\", check: \"amount >= "
      "0\"}\n");
  c.expanded = {"SELECT count(*) = 0 FROM invoices",
                "SELECT count(*) = 1 FROM pg_constraint WHERE conrelid = 'invoices'::regclass AND "
                "contype = 'f'"};
  c.rolled_back = {"SELECT to_regclass('invoices') IS NULL"};
  c.contracted = {"SELECT to_regclass('invoices') IS NOT NULL"};
  return c;
}

DeclarativeCase DropTable() {
  DeclarativeCase c =
      NoteWriters("drop_table", "operations:\n  - drop_table: {name: legacy_notes}\n");
  c.expanded = {"SELECT count(*) = 100 FROM legacy_notes"};
  c.contracted = {"SELECT to_regclass('legacy_notes') IS NULL"};
  return c;
}

DeclarativeCase RenameTable() {
  DeclarativeCase c =
      NoteWriters("rename_table", "operations:\n  - rename_table: {from: orders, to: purchases}\n");
  c.views = true;
  c.new_update = "UPDATE purchases SET note = 'w' || $2 WHERE id = $1::bigint";
  c.new_insert = "INSERT INTO purchases (customer_id, note) VALUES (1, 'w' || $1) RETURNING id";
  c.new_table = "purchases";
  c.expanded = {"SELECT to_regclass('public.purchases') IS NULL"};
  c.contracted = {"SELECT to_regclass('public.orders') IS NULL"};
  return c;
}

DeclarativeCase Sql() {
  DeclarativeCase c =
      NoteWriters("sql",
                  "operations:\n  - sql:\n"
                  "      expand: |\n        ALTER TABLE orders ADD COLUMN extra text;\n"
                  "        CREATE INDEX orders_status_idx ON orders (status);\n"
                  "      contract: ALTER TABLE orders DROP COLUMN status\n"
                  "      rollback: |\n        DROP INDEX IF EXISTS orders_status_idx;\n"
                  "        ALTER TABLE orders DROP COLUMN IF EXISTS extra;\n");
  c.expanded = {"SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_status_idx'::regclass"};
  c.rolled_back = {
      "SELECT count(*) = 0 FROM pg_attribute WHERE attrelid = 'orders'::regclass AND "
      "attname = 'extra' AND NOT attisdropped"};
  c.contracted = {
      "SELECT count(*) = 0 FROM pg_attribute WHERE attrelid = 'orders'::regclass AND "
      "attname = 'status' AND NOT attisdropped"};
  return c;
}

}  // namespace

const std::vector<DeclarativeCase>& DeclarativeCases() {
  static const std::vector<DeclarativeCase> cases = {
      Customers(),      AddColumn(),   RenameColumn(), ChangeType(),  SetNotNull(),
      SetNotNullAsIs(), DropColumn(),  AddCheck(),     CreateIndex(), AddForeignKey(),
      AddUnique(),      CreateTable(), DropTable(),    RenameTable(), Sql(),
  };
  return cases;
}

}  // namespace tide::testing
