// Eager normalization ops (filled in by the normalization work).
export {};
