CREATE TABLE c (id bigint PRIMARY KEY, p_id bigint REFERENCES p (id));
