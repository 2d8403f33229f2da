-- Marks the file as a herald-archiver archive (SQLite's application_id, in
-- the file header, which `file(1)` and tools can read): a file without it
-- and with tables of its own is someone else's database and is refused
-- unchanged. 0x48524c44 is "HRLD".
PRAGMA application_id = 1213353028;
