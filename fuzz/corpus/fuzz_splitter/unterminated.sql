SELECT 1;
/* unterminated /* */ SELECT 2;
