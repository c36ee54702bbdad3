"""The command lines of analysis: `cunsheng estimate` (`analysis.cli.estimate`) and
`cunsheng weights` (`analysis.cli.weights`). Import-light: nothing is imported here."""
