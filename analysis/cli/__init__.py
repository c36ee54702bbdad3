"""The command lines of analysis: `cunsheng estimate` (`analysis.cli.estimate`), `cunsheng weights`
(`analysis.cli.weights`), `cunsheng sample` (`analysis.cli.sample`) and `cunsheng rates`
(`analysis.cli.rates`). Import-light: nothing is imported here."""
