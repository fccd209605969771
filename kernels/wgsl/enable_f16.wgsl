// Put first in a program whose buffers hold float16 (storageType in src/backends/webgpu/kernel.ts).
enable f16;
