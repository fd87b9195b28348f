SELECT 1;
/*/*/*/* deep ; */*/*/*/
INSERT INTO t VALUES (1, '東京;');
