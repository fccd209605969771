// Eager elementwise ops (filled in by the elementwise work).
export {};
