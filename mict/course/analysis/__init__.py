"""Course-only analysis: shape traces and inflation tables (`trace`), the split-leak study
(`split_leak`), and the two ablations' tables and curves (`ablation`)."""
