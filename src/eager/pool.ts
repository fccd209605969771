// Eager pool ops (filled in by the pool work).
export {};
