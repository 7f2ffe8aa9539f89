// Reads a JSON document with Python's json module (Debian's python3), as a script would, and
// returns what `expression` (over the document `d`) prints: the test then checks a parser, not
// sm4's own writer, accepts the output. "parse error: ..." when it does not parse.
#pragma once

#include <fstream>
#include <string>

#include "run_command.h"
#include "temp_dir.h"

namespace sm4::test {

inline std::string json_eval(const std::string& document, const std::string& expression) {
    TempDir dir;
    std::ofstream(dir / "doc.json") << document;
    std::ofstream(dir / "eval.py") << "import json, sys\n"
                                      "try:\n"
                                      "    d = json.load(open(sys.argv[1]))\n"
                                      "except ValueError as e:\n"
                                      "    print('parse error:', e); sys.exit(0)\n"
                                      "print(" << expression << ")\n";
    const auto r = run_command("/usr/bin/python3 " + (dir / "eval.py").string() + " " + (dir / "doc.json").string());
    std::string out = r.exit_code == 0 ? r.out : "python error: " + r.err;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

}  // namespace sm4::test
