-- Live records of one collection under some villages (cases of a
-- township, the console's lists) without scanning every record of those
-- villages.
CREATE INDEX records_collection_unit ON records (county_id, collection, unit_id) WHERE NOT deleted;
