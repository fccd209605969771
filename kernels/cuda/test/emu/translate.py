"""Copies kernels/cuda sources into OUT with every `kernel<<<grid, block, smem, stream>>>(args);`
rewritten as `lepton_emu::launch(dim3(grid), dim3(block), [&] { kernel(args); });` so g++ can
build them against cuda_emu.h. Usage: translate.py KERNELS_DIR OUT_DIR"""
import os
import re
import sys


def split_top(s):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "(<[{":
            depth += 1
        elif ch in ")>]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def translate(text):
    out, i = "", 0
    while True:
        j = text.find("<<<", i)
        if j < 0:
            return out + text[i:]
        # The kernel name (with template arguments) ends at j: walk back over balanced <...>.
        k, depth = j, 0
        while k > 0:
            ch = text[k - 1]
            if ch == ">":
                depth += 1
            elif ch == "<":
                depth -= 1
            elif depth == 0 and not (ch.isalnum() or ch in "_:"):
                break
            k -= 1
        name = text[k:j]
        end = text.find(">>>", j)
        config = split_top(text[j + 3:end])
        # The argument list: balanced parentheses after >>>.
        p, depth = end + 3, 0
        assert text[p] == "(", text[j:j + 80]
        q = p
        while True:
            if text[q] == "(":
                depth += 1
            elif text[q] == ")":
                depth -= 1
                if depth == 0:
                    break
            q += 1
        args = text[p + 1:q]
        out += text[i:k] + f"::lepton_emu::launch(dim3({config[0]}), dim3({config[1]}), [&] {{ {name}({args}); }})"
        i = q + 1


def main(src, dst):
    for root, _, files in os.walk(src):
        if "emu" in root.split(os.sep):
            continue
        for f in files:
            if not re.search(r"\.(cu|cuh|h)$", f):
                continue
            rel = os.path.relpath(os.path.join(root, f), src)
            target = os.path.join(dst, re.sub(r"\.cu$", ".cc", rel))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(os.path.join(root, f)) as fh:
                text = fh.read()
            with open(target, "w") as fh:
                fh.write(translate(text))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
