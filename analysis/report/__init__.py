"""Reports of finished estimates: the results charts, and the 中期/终期评估 report pack (`write_pack`:
one frame of a `cunsheng evaluate --json` output as a printable HTML report, its PDF, charts and an
XLSX workbook)."""
