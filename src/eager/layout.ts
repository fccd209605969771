// Eager layout ops (filled in by the layout work).
export {};
