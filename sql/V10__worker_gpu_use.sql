-- Issue 14: the dashboard's workers page shows each worker's GPU in use, not only its size. The
-- worker's probe (nvidia-smi, every GPU_PROBE_MILLIS) reads the first GPU's memory in use and its
-- utilisation; the heartbeat carries them and the leader writes them here with the rest of the
-- row. NULL: no GPU, or one that does not report its use.
ALTER TABLE workers ADD COLUMN gpu_memory_used_mb int CHECK (gpu_memory_used_mb >= 0),
                    ADD COLUMN gpu_utilization_percent int CHECK (gpu_utilization_percent BETWEEN 0 AND 100);
