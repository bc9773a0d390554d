CREATE TABLE t (id INT PRIMARY KEY, country CHAR(2), created_at TIMESTAMP);
