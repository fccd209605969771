{
  "variables": {
    "kernel_sources": "<!(node -e \"const fs=require('fs');console.log(fs.readdirSync('kernels/cpu').filter(f=>f.endsWith('.cc')&&!f.endsWith('_avx2.cc')&&!f.endsWith('_avx512.cc')).map(f=>'kernels/cpu/'+f).join(' '))\")",
    "avx2_sources": "<!(node -e \"const fs=require('fs');console.log(fs.readdirSync('kernels/cpu').filter(f=>f.endsWith('_avx2.cc')).map(f=>'kernels/cpu/'+f).join(' '))\")",
    "avx512_sources": "<!(node -e \"const fs=require('fs');console.log(fs.readdirSync('kernels/cpu').filter(f=>f.endsWith('_avx512.cc')).map(f=>'kernels/cpu/'+f).join(' '))\")",
    "native_sources": "<!(node -e \"const fs=require('fs');console.log(fs.readdirSync('native').filter(f=>f.endsWith('.cc')).map(f=>'native/'+f).join(' '))\")"
  },
  "targets": [
    {
      "target_name": "lepton_avx2",
      "type": "static_library",
      "sources": ["<@(avx2_sources)"],
      "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-mavx2", "-mfma", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"]
    },
    {
      "target_name": "lepton_avx512",
      "type": "static_library",
      "sources": ["<@(avx512_sources)"],
      "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-mavx2", "-mfma", "-mavx512f", "-mavx512vl", "-mavx512bw", "-mavx512dq", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"]
    },
    {
      "target_name": "lepton",
      "dependencies": ["lepton_avx2", "lepton_avx512"],
      "sources": ["<@(kernel_sources)", "<@(native_sources)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "LEPTON_BUILD_SYSTEM=\"node-gyp\""],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "ldflags": ["-pthread"]
    }
  ]
}
