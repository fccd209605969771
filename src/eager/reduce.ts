// Eager reduce ops (filled in by the reduce work).
export {};
