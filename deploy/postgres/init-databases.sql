-- One database per eldernet service of the node (ELDERNET.databases.<service> in docker-compose.yml);
-- run once, by the postgres image, when its data volume is new.
CREATE DATABASE node;
CREATE DATABASE registry;
CREATE DATABASE booking;
CREATE DATABASE billing;
CREATE DATABASE alerts;
