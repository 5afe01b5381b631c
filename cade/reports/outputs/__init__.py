"""Writers of report tables (`cade.reports.tables`): CSV, XLSX, SVG charts and PDF."""
