{
  "targets": [
    {
      "target_name": "nmf_kernels",
      "sources": ["src/addon.cc"],
      "cflags_cc": ["-std=c++17", "-O3", "-ffp-contract=off", "-fno-fast-math", "-Wno-psabi"],
      "cflags_cc!": ["-std=gnu++17"],
      "defines": ["NAPI_VERSION=8"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-std=c++17", "-O3", "-ffp-contract=off", "-fno-fast-math", "-Wno-psabi"],
        "MACOSX_DEPLOYMENT_TARGET": "11.0",
        "ARCHS": ["x86_64", "arm64"]
      }
    }
  ]
}
