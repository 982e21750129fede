import Foundation

let commands: [Command] = [
    InfoCommand.command,
    ConvertCommand.command,
    SegmentCommand.command,
    ReportCommand.command,
    ValidateCommand.command,
    SynthCommand.command,
    TrainSegCommand.command,
    TrainLMCommand.command,
    ConvertModelCommand.command,
    CalibrateClassesCommand.command,
    BenchCommand.command,
]

func topLevelHelp() -> String {
    let width = commands.map { $0.name.count }.max() ?? 0
    let lines = commands.map { "  " + $0.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.summary }
    return """
    usage: neurospike <command> [options]

    Brain MRI segmentation and reporting with a spiking network.

    commands:
    \(lines.joined(separator: "\n"))

    Run 'neurospike <command> --help' for a command's options.
    """
}

func main() -> Int32 {
    var tokens = Array(CommandLine.arguments.dropFirst())
    guard let name = tokens.first, !name.hasPrefix("-") else {
        if tokens.first == "--help" || tokens.first == "-h" {
            print(topLevelHelp())
            return ExitCode.success.rawValue
        }
        printError(topLevelHelp())
        return ExitCode.usage.rawValue
    }
    tokens.removeFirst()
    guard let command = commands.first(where: { $0.name == name }) else {
        printError("neurospike: unknown command '\(name)'; run 'neurospike --help'")
        return ExitCode.usage.rawValue
    }
    var arguments = Arguments(tokens)
    if arguments.wantsHelp && !(command.dispatchesHelp && tokens.count > 1) {
        print(command.help)
        return ExitCode.success.rawValue
    }
    do {
        return try command.run(&arguments).rawValue
    } catch let error as UsageError {
        printError("neurospike \(name): \(error.description)")
        return ExitCode.usage.rawValue
    } catch {
        printError("neurospike \(name): \(error)")
        return ExitCode.usage.rawValue
    }
}

exit(main())
