#include "cli/app.h"

int main(int argc, char** argv) { return tide::cli::Main(argc, argv); }
