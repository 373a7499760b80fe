"""Receipt printing: ESC/POS raster slips and the printers they go to."""
