INSERT INTO t (a, b) VALUES (1, 'café; ü'), (2, E'it\'s; é');
SELECT "naïve;col" FROM t;
