"""Reports of finished estimates: charts (and, later, tables and packs)."""
