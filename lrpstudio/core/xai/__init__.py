"""lrpstudio.core.xai: LRP (explicit engine and zennit composites), TumorLRPScore, guidance losses."""
