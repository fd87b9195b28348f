CREATE INDEX index_crates_categories_category_id
                           ON crates_categories (category_id);