// cxx: iostream, std::string, std::map, std::vector + algorithms, a thrown and caught exception (unwinding
// through several frames with destructors), a static object with a constructor, virtual dispatch.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

static int destroyed = 0;

struct Guard {
    std::string name;
    explicit Guard(std::string n) : name(std::move(n)) {}
    ~Guard() { destroyed++; }
};

struct Global {
    int value;
    Global() : value(1234) {}
};
static Global global;

struct Shape {
    virtual ~Shape() = default;
    virtual double area() const = 0;
    virtual std::string name() const = 0;
};
struct Square : Shape {
    double side;
    explicit Square(double s) : side(s) {}
    double area() const override { return side * side; }
    std::string name() const override { return "square"; }
};
struct Rect : Shape {
    double w, h;
    Rect(double a, double b) : w(a), h(b) {}
    double area() const override { return w * h; }
    std::string name() const override { return "rect"; }
};

class ParseError : public std::runtime_error {
public:
    int line;
    ParseError(const std::string &what, int l) : std::runtime_error(what), line(l) {}
};

static int parse_depth(int depth, int fail_at)
{
    Guard g("level " + std::to_string(depth));
    if (depth == fail_at)
        throw ParseError("bad token at depth " + std::to_string(depth), depth * 10);
    return parse_depth(depth + 1, fail_at) + 1;
}

int main()
{
    std::cout << "global constructed: " << global.value << "\n";

    std::map<std::string, int> counts;
    std::istringstream text("the quick brown fox jumps over the lazy dog the end fox");
    for (std::string word; text >> word;)
        counts[word]++;
    for (const auto &kv : counts)
        std::cout << kv.first << '=' << kv.second << ' ';
    std::cout << "\n";

    std::string s = "Hello";
    s += ", C++";
    s.insert(0, ">> ");
    std::string upper = s;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    std::cout << s << " | " << upper << " | find: " << s.find("C++") << " | substr: " << s.substr(3, 5) << "\n";

    std::vector<int> v(20);
    std::iota(v.begin(), v.end(), -5);
    std::sort(v.begin(), v.end(), [](int a, int b) { return (a * 7) % 11 < (b * 7) % 11 || ((a * 7) % 11 == (b * 7) % 11 && a < b); });
    for (int x : v)
        std::cout << x << ' ';
    std::cout << "sum=" << std::accumulate(v.begin(), v.end(), 0) << "\n";

    std::vector<std::unique_ptr<Shape>> shapes;
    shapes.push_back(std::make_unique<Square>(3));
    shapes.push_back(std::make_unique<Rect>(2, 4.5));
    for (const auto &sh : shapes)
        std::cout << sh->name() << ' ' << std::fixed << std::setprecision(2) << sh->area() << "\n";

    try {
        parse_depth(0, 5);
        std::cout << "no exception?!\n";
    } catch (const ParseError &e) {
        std::cout << "caught ParseError: " << e.what() << " line " << e.line << ", guards destroyed " << destroyed
                  << "\n";
    }
    try {
        std::vector<int> small(3);
        small.at(10) = 1;
    } catch (const std::out_of_range &) {
        std::cout << "caught std::out_of_range\n";
    }
    try {
        throw 42;
    } catch (int n) {
        std::cout << "caught int " << n << "\n";
    }

    std::ostringstream out;
    out << std::hex << std::showbase << 48879 << ' ' << std::dec << std::setw(6) << std::setfill('*') << 42;
    std::cout << out.str() << std::endl;
    std::cerr << "this line goes to stderr\n";
    return 0;
}
