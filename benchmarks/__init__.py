"""Speed and memory benchmarks of lrpstudio (not tests). Run them all: ``make bench``."""
