CREATE TABLE follows (
            user_id          INTEGER NOT NULL,
            crate_id         INTEGER NOT NULL
        );