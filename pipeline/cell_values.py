"""Cell values that are neither blank nor data, as the read stage hands them on.

python-calamine reports an Excel error cell (#DIV/0!, #N/A …) as an empty string, which would make a broken
formula look like a cell the submitter left blank. The read stage finds error cells another way (the sheet XML
of an .xlsx, xlrd's cell types for an .xls) and puts an ExcelErrorValue in their place, so later stages can name
the cell and the error instead of treating it as "not reported".
"""

from __future__ import annotations

from dataclasses import dataclass

# The error values Excel and WPS write, with what each one usually means, for the submitter's message.
EXCEL_ERROR_MEANINGS = {
    "#DIV/0!": "除数为 0",
    "#N/A": "查找的值不存在",
    "#VALUE!": "参与计算的单元格类型不对（如把文字当作数字计算）",
    "#REF!": "公式引用的单元格已被删除",
    "#NAME?": "公式中有无法识别的函数名或名称",
    "#NUM!": "数值无效或超出范围",
    "#NULL!": "引用的区域没有交集",
    "#SPILL!": "公式结果无法展开到相邻单元格",
    "#CALC!": "公式无法计算",
    "#GETTING_DATA": "数据尚未取回",
}


@dataclass(frozen=True)
class ExcelErrorValue:
    """An Excel error value (the text Excel shows, e.g. "#DIV/0!") found in a cell."""

    text: str

    def __str__(self) -> str:
        return self.text

    @property
    def meaning(self) -> str:
        return EXCEL_ERROR_MEANINGS.get(self.text.upper(), "公式计算出错")
