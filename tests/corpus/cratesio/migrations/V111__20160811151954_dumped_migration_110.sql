CREATE INDEX index_users_gh_id
                           ON users (gh_id);